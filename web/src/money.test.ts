import { describe, expect, it } from 'vitest';

import { centsFromApi, centsToApi, eurosToCents, formatCents } from './money';

describe('money', () => {
  it('formats cents as euros with exactly two decimals', () => {
    expect(formatCents(450)).toBe('€4.50');
    expect(formatCents(5)).toBe('€0.05');
    expect(formatCents(0)).toBe('€0.00');
    expect(formatCents(123456789)).toBe('€1,234,567.89');
  });

  it('formats the API int64 strings, and nothing as zero', () => {
    expect(formatCents('1999')).toBe('€19.99');
    expect(formatCents(undefined)).toBe('€0.00');
  });

  it('formats large amounts without floating point error', () => {
    // 2^53 - 1 cents: every digit must survive.
    expect(formatCents(Number.MAX_SAFE_INTEGER)).toBe('€90,071,992,547,409.91');
  });

  it('formats negative amounts', () => {
    expect(formatCents(-250)).toBe('-€2.50');
  });

  it('refuses amounts that are not whole cents', () => {
    expect(() => centsFromApi('12.5')).toThrow(RangeError);
    expect(() => centsFromApi('abc')).toThrow(RangeError);
    expect(() => centsToApi(0.5)).toThrow(RangeError);
  });

  it('turns what a euro field holds into whole cents', () => {
    // 1.1 * 3 is 3.3000000000000003 in floating point: the original rejected exact payments.
    expect(eurosToCents(1.1 * 3)).toBe(330);
    expect(eurosToCents(0.29)).toBe(29);
    expect(eurosToCents(null)).toBe(0);
    expect(centsToApi(eurosToCents(10))).toBe('1000');
  });
});
