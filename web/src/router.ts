// The pages. The admin pages (`meta.admin`) open only with a valid admin token; without one
// the admin sign-in opens instead, and comes back to the page asked for after.
import { createRouter, createWebHistory } from 'vue-router';

import { useAccount } from './stores/account';
import HomePage from './views/HomePage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** Only for a signed-in admin. */
    admin?: boolean;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'home', component: HomePage, meta: { title: 'Home' } },
    {
      path: '/admin/stores',
      name: 'stores',
      component: () => import('./views/StoresAdmin.vue'),
      meta: { title: 'Plaza Admin', admin: true },
    },
    {
      path: '/admin/stores/:storeId/products',
      name: 'store-products',
      component: () => import('./views/StoreProducts.vue'),
      props: true,
      meta: { title: 'Store products', admin: true },
    },
    {
      path: '/admin/orders',
      name: 'order-admin',
      component: () => import('./views/OrderAdmin.vue'),
      meta: { title: 'Order Admin', admin: true },
    },
    {
      path: '/admin/customers',
      name: 'customers',
      component: () => import('./views/CustomersAdmin.vue'),
      meta: { title: 'Customers', admin: true },
    },
    {
      path: '/admin/sign-in',
      name: 'admin-sign-in',
      component: () => import('./views/AdminSignIn.vue'),
      meta: { title: 'Admin sign-in' },
    },
    {
      path: '/shop',
      name: 'shopping',
      component: () => import('./views/ShoppingPage.vue'),
      meta: { title: 'Shopping' },
    },
    {
      path: '/checkout',
      name: 'checkout',
      component: () => import('./views/CheckoutPage.vue'),
      meta: { title: 'Checkout' },
    },
    {
      path: '/orders',
      name: 'your-orders',
      component: () => import('./views/YourOrders.vue'),
      meta: { title: 'Your orders' },
    },
    // The original system's addresses, so old bookmarks still land on the right page.
    { path: '/pages/plazaadmin', redirect: { name: 'stores' } },
    {
      path: '/pages/plazaadmin/:storeId/products',
      redirect: (to) => `/admin/stores/${String(to.params.storeId)}/products`,
    },
    { path: '/pages/orderadmin', redirect: { name: 'order-admin' } },
    { path: '/pages/shopping', redirect: { name: 'shopping' } },
    { path: '/pages/checkout', redirect: { name: 'checkout' } },
    {
      path: '/:unknown(.*)*',
      name: 'not-found',
      component: () => import('./views/NotFound.vue'),
      meta: { title: 'Not found' },
    },
  ],
});

/** The admin sign-in, coming back to `path` after. */
export function adminSignIn(path: string) {
  return { name: 'admin-sign-in', query: { redirect: path } };
}

router.beforeEach((to) => {
  const account = useAccount();
  account.forgetExpired(Date.now());
  if (to.meta.admin && !account.admin) return adminSignIn(to.fullPath);
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title ?? 'Plaza'} · Plaza`;
});
