import { createServer } from 'node:http';
import { koaUsersApp } from './koa-app.js';
import { listen } from './listen.js';

listen(createServer(koaUsersApp().callback()));
