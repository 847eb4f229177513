import { createServer } from 'node:http';
import promBundle from 'express-prom-bundle';
import { expressUsersApp } from './express-app.js';
import { listen } from './listen.js';

// Method and path labels on (its default is the status code alone); it normalises /users/42 to
// /users/#val, as promhttp's normaliser does.
listen(createServer(expressUsersApp((app) => app.use(promBundle({ includeMethod: true, includePath: true })))));
