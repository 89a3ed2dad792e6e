/** Renders any value for an error message. Never throws, whatever the value. */
export function show(value: unknown): string {
  try {
    switch (typeof value) {
      case 'undefined':
        return 'undefined';
      case 'string':
        return `'${truncate(value, 60)}'`;
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return `${String(value)}n (a bigint)`;
      case 'boolean':
        return String(value);
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
      default:
        break;
    }
    if (value === null) return 'null';
    const text = JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'bigint' ? `${String(inner)}n` : inner,
    );
    return text === undefined ? 'an unprintable value' : truncate(text, 80);
  } catch {
    return 'an unprintable value';
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `1234567` -> `'1,234,567'` (no dependence on the host's locale data). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [whole = '', frac] = String(Math.abs(n)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`;
}

/** `['a', 'b']` -> `'a', 'b'`. */
export function quoteList(items: readonly string[]): string {
  return items.map((item) => `'${item}'`).join(', ');
}

/** `[2, 3]` -> `[2, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
