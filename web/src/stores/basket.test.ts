import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';

import { MAX_QUANTITY, clampQuantity, useBasket } from './basket';

const APPLE = {
  productId: 'p-apple',
  storeId: 's-1',
  productName: 'Apple',
  storeName: 'Fruit',
  storeLocation: 'Oslo',
  unitPriceCents: 450,
};
const PEAR = {
  productId: 'p-pear',
  storeId: 's-1',
  productName: 'Pear',
  storeName: 'Fruit',
  storeLocation: 'Oslo',
  unitPriceCents: 199,
};

/** A new page: a fresh Pinia, reading whatever local storage holds. */
function reload() {
  setActivePinia(createPinia());
  return useBasket();
}

describe('the basket', () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it('adds a product once, with quantity one', () => {
    const basket = reload();
    expect(basket.add(APPLE)).toBe(true);
    expect(basket.add(APPLE)).toBe(false);
    expect(basket.count).toBe(1);
    expect(basket.items[0]?.quantity).toBe(1);
  });

  it('totals unit price times quantity in cents', () => {
    const basket = reload();
    basket.add(APPLE);
    basket.add(PEAR);
    basket.setQuantity('p-apple', 3);
    expect(basket.totalCents).toBe(3 * 450 + 199);
  });

  it('keeps quantities between 1 and 99', () => {
    const basket = reload();
    basket.add(APPLE);
    basket.setQuantity('p-apple', 0);
    expect(basket.items[0]?.quantity).toBe(1);
    basket.setQuantity('p-apple', 1000);
    expect(basket.items[0]?.quantity).toBe(MAX_QUANTITY);
    expect(clampQuantity(null)).toBe(1);
    expect(clampQuantity(2.7)).toBe(2);
  });

  it('removes only the product asked for, and nothing when it is absent', () => {
    const basket = reload();
    basket.add(APPLE);
    basket.add(PEAR);
    basket.remove('p-unknown');
    expect(basket.count).toBe(2);
    basket.remove('p-apple');
    expect(basket.items.map((item) => item.productId)).toEqual(['p-pear']);
  });

  it('survives a reload of the page', async () => {
    const basket = reload();
    basket.add(APPLE);
    basket.setQuantity('p-apple', 4);
    await nextTick();
    const after = reload();
    expect(after.items).toEqual([{ ...APPLE, quantity: 4 }]);
  });

  it('is empty after clear, also after a reload', async () => {
    const basket = reload();
    basket.add(APPLE);
    basket.clear();
    await nextTick();
    expect(reload().count).toBe(0);
  });

  it('starts empty when the saved basket is unreadable', () => {
    localStorage.setItem('plaza.basket.v1', '{not json');
    expect(reload().count).toBe(0);
    localStorage.setItem('plaza.basket.v1', JSON.stringify([{ productId: 1 }, { ...APPLE, quantity: 500 }]));
    expect(reload().items).toEqual([{ ...APPLE, quantity: MAX_QUANTITY }]);
  });
});
