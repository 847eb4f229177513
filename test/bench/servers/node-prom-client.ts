import { createServer } from 'node:http';
import client from 'prom-client';
import { listen } from './listen.js';
import { promClientByHand } from './node-prom-client-app.js';

// The hand-written integration with default process metrics, as its users run it.
client.collectDefaultMetrics();
listen(createServer(promClientByHand(client.register)));
