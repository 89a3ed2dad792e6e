/** Renders rows as an aligned plain-text table (numeric columns right-aligned) with a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) =>
      rows.length > 0 &&
      rows.every(
        (r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+(e[-+]?\d+)?( ?[a-zA-Z%x]+)?$|^-$|^inf$/.test(String(r[i])),
      ),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Formats a number with fixed decimals, or `inf` / `-inf`. */
export function fixed(x: number, digits: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return x.toFixed(digits);
}

/** Formats a byte count with a binary unit (`12.3 KiB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Compact formatting for dtype limits: plain decimals in a readable range, powers of two or exponents outside. */
export function compact(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(6)));
  const e = Math.log2(a);
  return Number.isInteger(e) ? `${x < 0 ? '-' : ''}2^${e}` : x.toExponential(3);
}
