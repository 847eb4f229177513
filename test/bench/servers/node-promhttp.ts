import { createServer } from 'node:http';
import { instrument } from 'promhttp/node';
import { listen } from './listen.js';
import { usersApp } from './node-app.js';

// The one-line setup: no route function, so the path normaliser turns /users/42 into /users/:id.
listen(createServer(instrument(usersApp)));
