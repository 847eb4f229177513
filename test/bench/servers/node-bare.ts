import { createServer } from 'node:http';
import { listen } from './listen.js';
import { usersApp } from './node-app.js';

listen(createServer(usersApp));
