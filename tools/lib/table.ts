/** Renders rows as an aligned plain-text table (numbers right-aligned) with a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+( ?[a-zA-Z%x]+)?$/.test(String(r[i]))));
  const line = (row: readonly string[]): string =>
    row.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Formats a number with a fixed number of decimals, or "inf" / "-inf". */
export function fixed(x: number, digits: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x.toFixed(digits);
}

/** Compact scientific-or-plain formatting for dtype limits. */
export function compact(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(6)));
  const e = Math.log2(a);
  return Number.isInteger(e) ? `${x < 0 ? '-' : ''}2^${e}` : x.toExponential(3);
}
