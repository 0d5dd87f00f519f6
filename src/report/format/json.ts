import type { Report } from '../report-data.js';

/** The report data as indented JSON (schema in docs/report.md). */
export function formatJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
