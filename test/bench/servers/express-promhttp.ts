import { createServer } from 'node:http';
import { expressMetrics } from 'promhttp/express';
import { expressUsersApp } from './express-app.js';
import { listen } from './listen.js';

listen(createServer(expressUsersApp((app) => app.use(expressMetrics()))));
