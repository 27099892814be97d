import Aura from '@primeuix/themes/aura';
import { createPinia } from 'pinia';
import ConfirmationService from 'primevue/confirmationservice';
import PrimeVue from 'primevue/config';
import ToastService from 'primevue/toastservice';
import Tooltip from 'primevue/tooltip';
import { createApp } from 'vue';

import App from './App.vue';
import { router } from './router';
import 'primeicons/primeicons.css';
import './style.css';

createApp(App)
  .use(createPinia())
  .use(router)
  .use(PrimeVue, {
    theme: {
      preset: Aura,
      // PrimeVue's styles sit in their own cascade layer, under Tailwind's utilities.
      options: { darkModeSelector: '.plaza-dark', cssLayer: { name: 'primevue', order: 'theme, base, primevue' } },
    },
  })
  .use(ToastService)
  .use(ConfirmationService)
  .directive('tooltip', Tooltip)
  .mount('#app');
