import { createServer } from 'node:http';
import { instrument } from 'promhttp/node';
import { listen } from './listen.js';
import { usersApp, usersRoute } from './node-app.js';

// The route label comes from the app's own router instead of the path normaliser.
listen(createServer(instrument(usersApp, { route: usersRoute })));
