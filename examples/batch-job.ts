import { counter, runJob } from 'promhttp';

const gateway = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';

// Stands in for the real work: the orders to export since the last run.
async function loadOrders(): Promise<Array<{ id: number; total: number }>> {
  return Array.from({ length: 25 }, (_, i) => ({ id: i + 1, total: i % 10 === 0 ? 0 : 10 * i }));
}

// runJob times the run, records its outcome and pushes it all, also when the job throws.
await runJob({ gateway, job: 'orders-export', groupingKey: { region: 'eu' } }, async (ctx) => {
  const skipped = counter({ name: 'orders_export_skipped_total', help: 'Orders left out of the export because they are empty.', registry: ctx.registry });
  for (const order of await loadOrders()) {
    if (order.total === 0) skipped.inc();
    else ctx.processed();
  }
});
console.log(`pushed to ${gateway}`);
