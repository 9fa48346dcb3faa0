import { type Html, html } from '../html.js';
import { layout } from './layout.js';

export function loginPage(p: { base: string; token: string; error?: string; name?: string }): Html {
  return layout({
    title: 'Sign in',
    base: p.base,
    notice: p.error ? { kind: 'error', text: p.error } : undefined,
    body: html`<form method="post" action="${p.base}login" style="max-width:22rem">
<input type="hidden" name="csrf" value="${p.token}">
<label for="name">Name</label><input id="name" name="name" autocomplete="username" required value="${p.name ?? ''}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p>
</form>`,
  });
}
