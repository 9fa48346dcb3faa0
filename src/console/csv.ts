/**
 * RFC 4180 CSV for the people who fix the export, who open it in a spreadsheet: a field that a spreadsheet
 * would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with a quote so it stays text.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
