import { usersFetch } from './fetch-app.js';
import { serveFetch } from './fetch-serve.js';

serveFetch(usersFetch);
