import { fetchMetrics } from 'promhttp/fetch';
import { USERS_ROUTES, usersFetch } from './fetch-app.js';
import { serveFetch } from './fetch-serve.js';

serveFetch(fetchMetrics(usersFetch, { routes: USERS_ROUTES }));
