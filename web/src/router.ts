import { createRouter, createWebHistory } from 'vue-router';

import HomePage from './views/HomePage.vue';

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'home', component: HomePage, meta: { title: 'Home' } },
    {
      path: '/admin/stores',
      name: 'stores',
      component: () => import('./views/StoresAdmin.vue'),
      meta: { title: 'Plaza Admin' },
    },
    {
      path: '/admin/stores/:storeId/products',
      name: 'store-products',
      component: () => import('./views/StoreProducts.vue'),
      props: true,
      meta: { title: 'Store products' },
    },
    {
      path: '/admin/orders',
      name: 'order-admin',
      component: () => import('./views/OrderAdmin.vue'),
      meta: { title: 'Order Admin' },
    },
    {
      path: '/admin/customers',
      name: 'customers',
      component: () => import('./views/CustomersAdmin.vue'),
      meta: { title: 'Customers' },
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

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? 'Plaza')} · Plaza`;
});
