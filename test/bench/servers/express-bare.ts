import { createServer } from 'node:http';
import { expressUsersApp } from './express-app.js';
import { listen } from './listen.js';

listen(createServer(expressUsersApp()));
