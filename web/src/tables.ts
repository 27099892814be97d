// What the UI's tables share: times shown and sorted, and CSV cells that are safe to open.

/**
 * An API timestamp as shown, and as a number to sort by: RFC 3339 text with fractions of
 * varying length does not sort as text.
 */
export function instant(value: string | undefined): { ms: number; text: string } {
  const date = value ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime())) return { ms: 0, text: '' };
  return { ms: date.getTime(), text: date.toLocaleString() };
}

/**
 * A DataTable CSV cell: quotes doubled, and text a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, carriage return first) exported as text.
 */
export function exportCell({ data }: { data: unknown }): string {
  const text = String(data);
  return (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text).replace(/"/g, '""');
}
