/** Text for HTML or SVG element content and attribute values: log text is untrusted. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Control characters (C0 but tab, DEL, C1) replaced by U+FFFD: an escape sequence in a log line
 * must not drive the terminal a table is printed on, or break a Markdown table.
 */
export function stripControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\uFFFD');
}
