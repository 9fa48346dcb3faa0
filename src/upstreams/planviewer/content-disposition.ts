/**
 * The filename from a `Content-Disposition` header, as the vendor sent it (not yet safe for disk: the caller
 * passes it through `sanitizeFilename`). Handles `filename*=UTF-8''…` (RFC 6266, preferred) and quoted or
 * bare `filename=`.
 */
export function dispositionFilename(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star?.[2]) {
    try {
      return decodeURIComponent(star[2].trim());
    } catch {
      // A malformed percent-encoding falls through to the plain filename.
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1');
  const bare = /filename\s*=\s*([^;\s]+)/i.exec(header);
  return bare?.[1];
}
