import { describe, expect, it } from 'vitest';

import { exportCell, instant } from './tables';

describe('table helpers', () => {
  it('sorts times by the instant, whatever the fraction length', () => {
    const whole = instant('2026-11-24T21:00:00Z');
    const fraction = instant('2026-11-24T21:00:00.500Z');
    // As text, 'Z' sorts after '.', which would put the earlier time last.
    expect(whole.ms).toBeLessThan(fraction.ms);
    expect(whole.text).not.toBe('');
  });

  it('shows nothing for a missing or broken time', () => {
    expect(instant(undefined)).toEqual({ ms: 0, text: '' });
    expect(instant('yesterday')).toEqual({ ms: 0, text: '' });
  });

  it('exports cells a spreadsheet would run as formulas as text', () => {
    expect(exportCell({ data: '=HYPERLINK("x")' })).toBe(`'=HYPERLINK(""x"")`);
    expect(exportCell({ data: '-5' })).toBe(`'-5`);
    expect(exportCell({ data: 'Green tea' })).toBe('Green tea');
    expect(exportCell({ data: 12 })).toBe('12');
  });
});
