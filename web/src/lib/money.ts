// Deal values: typed as a person types an amount ("1200", "1.200,50", "1,200.50"), shown with the
// browser's grouping. No currency is known yet, so none is shown.

/** The amount typed, in units with cents; null for empty (no value); undefined when it is not an amount. */
export function parseDealValue(text: string): number | null | undefined {
  const t = text.trim().replace(/\s/g, '');
  if (t === '') return null;
  if (!/^\d[\d.,]*$/.test(t)) return undefined;
  // The last separator followed by one or two digits is the decimal one; the others group thousands.
  const m = /^(.*?)[.,](\d{1,2})$/.exec(t);
  const whole = (m ? m[1]! : t).replace(/[.,]/g, '');
  const value = Number(m ? `${whole}.${m[2]}` : whole);
  if (!Number.isFinite(value) || value > 999_999_999_999.99) return undefined;
  return Math.round(value * 100) / 100;
}

const format = new Intl.NumberFormat(undefined, { minimumFractionDigits: 0, maximumFractionDigits: 2 });

export function formatDealValue(value: number): string {
  return format.format(value);
}
