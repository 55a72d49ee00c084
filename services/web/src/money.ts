// Amounts are int64 minor units (bigint) end to end; never floats. Formatting goes through
// Intl.NumberFormat with an exact decimal string.

const DIGITS: Record<string, number> = { JPY: 0, KRW: 0 };

export function fractionDigits(currency: string): number {
  return DIGITS[currency] ?? 2;
}

// "12.34" style exact decimal string of a minor-unit amount.
export function minorToDecimal(amountMinor: bigint, currency: string): string {
  const d = fractionDigits(currency);
  const neg = amountMinor < 0n;
  const abs = neg ? -amountMinor : amountMinor;
  if (d === 0) return `${neg ? "-" : ""}${abs}`;
  const scale = 10n ** BigInt(d);
  const major = abs / scale;
  const minor = (abs % scale).toString().padStart(d, "0");
  return `${neg ? "-" : ""}${major}.${minor}`;
}

export function formatMoney(amountMinor: bigint, currency: string, locale: string): string {
  const cur = currency || "CNY";
  const nf = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: cur,
    currencyDisplay: "narrowSymbol",
    minimumFractionDigits: fractionDigits(cur),
    maximumFractionDigits: fractionDigits(cur),
  });
  // Intl.NumberFormat formats a decimal string exactly (ES2023 Intl.NumberFormat v3).
  return nf.format(minorToDecimal(amountMinor, cur) as unknown as number);
}

// Parses what a person types ("12", "12.3", "12.34", "1,234.50") into minor units; null when it is
// not a positive amount with at most the currency's number of decimals.
export function parseAmount(text: string, currency: string): bigint | null {
  const s = text.trim().replace(/[,\s，]/g, "").replace(/^[¥￥$]/, "");
  const d = fractionDigits(currency);
  const m = s.match(/^(\d{1,15})(?:[.。](\d*))?$/);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > d) return null;
  const minor = BigInt(m[1]) * 10n ** BigInt(d) + (frac ? BigInt(frac.padEnd(d, "0")) : 0n);
  return minor > 0n ? minor : null;
}
