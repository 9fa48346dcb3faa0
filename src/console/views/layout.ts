import { type Html, html } from '../html.js';
import type { Session } from '../sessions.js';

export interface Page {
  title: string;
  /** The console's path prefix, ending in "/". */
  base: string;
  session?: Session | undefined;
  /** A one-line notice at the top (the result of the last action). */
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
  body: Html;
}

const NAV: [path: string, label: string][] = [
  ['', 'Pipelines'],
  ['orders', 'Orders'],
  ['rejections', 'Rejections'],
  ['files', 'Files'],
  ['upstreams', 'Upstreams'],
  ['actions', 'Actions'],
];

/**
 * Every page: a skip link, a nav a keyboard reaches first, one h1, and a stylesheet inline (no build step, no
 * second request). Colours keep at least 4.5:1 contrast; tables scroll sideways on a phone instead of squeezing.
 */
export function layout(p: Page): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · koppel</title>
<style>
:root { color: #1a1a1a; background: #fff; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0; }
a { color: #0b57d0; }
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline: 3px solid #b35c00; outline-offset: 2px; }
header { background: #14213d; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header a { color: #fff; }
header nav { display: flex; flex-wrap: wrap; gap: .25rem .9rem; }
header form { margin-left: auto; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip { position: absolute; left: -999px; } .skip:focus { left: .5rem; top: .5rem; background: #fff; color: #000; padding: .25rem; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #d0d0d0; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f2f2f2; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid #14213d; background: #14213d; color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: #14213d; }
input, select, textarea { font: inherit; padding: .3rem; border: 1px solid #595959; border-radius: 4px; max-width: 100%; }
textarea { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; }
label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
.notice { padding: .5rem 1rem; margin-bottom: 1rem; border-left: 6px solid; }
.notice.ok { background: #e6f4ea; border-color: #1e7b34; } .notice.error { background: #fdecea; border-color: #b3261e; }
.state { font-weight: 600; } .muted { color: #555; }
.outcome-failed, .outcome-crashed { color: #b3261e; } .outcome-rejected, .outcome-attention { color: #8a4b00; } .outcome-succeeded { color: #1e7b34; }
fieldset { border: 1px solid #d0d0d0; margin: .75rem 0; } code { word-break: break-all; }
svg text { font: 11px system-ui, sans-serif; fill: #1a1a1a; }
td.bar { width: 40%; min-width: 6rem; }
table.log td:nth-child(-n+2) { white-space: nowrap; } table.log td:nth-child(3) { min-width: 9rem; } caption { text-align: left; padding: .25rem 0; }
</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <strong>koppel</strong>
  ${p.session
    ? html`<nav aria-label="Console">${NAV.map(([path, label]) => html`<a href="${p.base}${path}">${label}</a>`)}</nav>
  <form method="post" action="${p.base}logout"><input type="hidden" name="csrf" value="${p.session.csrf}"><span>${p.session.user} (${p.session.role})</span> <button class="secondary" type="submit">Sign out</button></form>`
    : ''}
</header>
<main id="main">
<h1>${p.title}</h1>
${p.notice ? html`<p class="notice ${p.notice.kind}" role="${p.notice.kind === 'error' ? 'alert' : 'status'}">${p.notice.text}</p>` : ''}
${p.body}
</main>
</body>
</html>`;
}

/** The hidden field every form of a signed-in page carries. */
export const csrfField = (s: Session): Html => html`<input type="hidden" name="csrf" value="${s.csrf}">`;
