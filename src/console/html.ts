/**
 * Templates are hono's `html` tagged template: every interpolated value is HTML-escaped unless it is itself
 * an `html` result, arrays are joined, and null/undefined/false render as nothing. That is all the
 * console's pages need, so there is no second template language to learn, and no way to forget escaping.
 */
import { html as honoHtml, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;

/** `html` narrowed to its synchronous form: the console never interpolates promises. */
export const html = (strings: TemplateStringsArray, ...values: unknown[]): Html => honoHtml(strings, ...values) as Html;

/** Markup built by our own code (SVG path data, numbers): never pass text that came from a user or upstream. */
export const trusted = (markup: string): Html => raw(markup) as Html;

/** `2026-12-04 16:20:05 UTC`, or an em dash for nothing. */
export function when(d: Date | string | null | undefined): string {
  if (!d) return '—';
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? String(d) : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `1 m 05 s`, `230 ms`. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}
