// The entry PM2 starts (see ecosystem.config.cjs): the Koa example, run from its TypeScript source.
await import('../koa.ts');
