// Money in the UI is what it is in the API: integer euro cents. The API sends 64-bit integers
// as JSON strings; they become numbers here (exact up to 2^53 cents, far above any amount the
// API accepts) and are turned into text only by `formatCents`.

const EUR = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

/** Cents from the API's JSON (a string, or absent for 0). */
export function centsFromApi(value: string | number | undefined | null): number {
  if (value === undefined || value === null || value === '') return 0;
  const cents = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(cents)) {
    throw new RangeError(`not a whole number of cents: ${String(value)}`);
  }
  return cents;
}

/** Cents as the API's JSON wants an int64: a string. */
export function centsToApi(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
  return String(cents);
}

/** `1234` -> `€12.34`; exact, since the decimal text is built from the integer. */
export function formatCents(cents: number | string | undefined | null): string {
  const value = centsFromApi(cents);
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  const decimal = `${sign}${Math.trunc(magnitude / 100)}.${String(magnitude % 100).padStart(2, '0')}`;
  // Intl formats a decimal string exactly (no binary floating point in between).
  return EUR.format(decimal as unknown as number);
}

/** What a euro input field (PrimeVue InputNumber in currency mode) holds, as cents. */
export function eurosToCents(euros: number | null | undefined): number {
  if (euros === null || euros === undefined || Number.isNaN(euros)) return 0;
  return Math.round(euros * 100);
}

/** Cents as the number a euro input field shows. */
export function centsToEuros(cents: number): number {
  return cents / 100;
}
