// The shopper's basket: what they picked in the catalog, with quantities, kept in the
// browser's local storage so it survives a reload. Prices are integer cents from the catalog;
// the order's real prices are set by the API when the order is placed.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';

export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;
const STORAGE_KEY = 'plaza.basket.v1';

export interface BasketItem {
  productId: string;
  storeId: string;
  productName: string;
  storeName: string;
  storeLocation: string;
  unitPriceCents: number;
  quantity: number;
}

export function clampQuantity(quantity: number | null | undefined): number {
  if (quantity === null || quantity === undefined || Number.isNaN(quantity)) return MIN_QUANTITY;
  return Math.min(MAX_QUANTITY, Math.max(MIN_QUANTITY, Math.trunc(quantity)));
}

function isItem(value: unknown): value is BasketItem {
  const item = value as BasketItem;
  return (
    typeof item === 'object' &&
    item !== null &&
    typeof item.productId === 'string' &&
    typeof item.storeId === 'string' &&
    typeof item.productName === 'string' &&
    typeof item.storeName === 'string' &&
    typeof item.storeLocation === 'string' &&
    Number.isSafeInteger(item.unitPriceCents) &&
    Number.isSafeInteger(item.quantity)
  );
}

/** The saved basket; anything unreadable (another version, a hand edit) counts as empty. */
function load(): BasketItem[] {
  try {
    const saved: unknown = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '[]');
    if (!Array.isArray(saved)) return [];
    return saved.filter(isItem).map((item) => ({ ...item, quantity: clampQuantity(item.quantity) }));
  } catch {
    return [];
  }
}

export const useBasket = defineStore('basket', () => {
  const items = ref<BasketItem[]>(load());

  watch(items, (now) => globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(now)), { deep: true });

  const count = computed(() => items.value.length);
  const totalCents = computed(() => items.value.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0));

  function contains(productId: string): boolean {
    return items.value.some((item) => item.productId === productId);
  }

  /** Adds one of the product; false (and nothing changes) when it is already in the basket. */
  function add(item: Omit<BasketItem, 'quantity'>): boolean {
    if (contains(item.productId)) return false;
    items.value.push({ ...item, quantity: MIN_QUANTITY });
    return true;
  }

  /** Removes the product; removing one that is not there changes nothing. */
  function remove(productId: string): void {
    items.value = items.value.filter((item) => item.productId !== productId);
  }

  function setQuantity(productId: string, quantity: number | null | undefined): void {
    const item = items.value.find((candidate) => candidate.productId === productId);
    if (item) item.quantity = clampQuantity(quantity);
  }

  function clear(): void {
    items.value = [];
  }

  return { items, count, totalCents, contains, add, remove, setQuantity, clear };
});
