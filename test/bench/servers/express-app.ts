import express from 'express';

/** Express 5 serving `/users/:id`; `instrument` adds the metrics middleware first. */
export function expressUsersApp(instrument?: (app: express.Express) => void): express.Express {
  const app = express();
  instrument?.(app);
  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  return app;
}
