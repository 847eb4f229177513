import 'reflect-metadata';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { expressMetrics } from 'promhttp/express';

@Controller()
class AppController {
  @Get()
  root(): string {
    return 'ok';
  }

  @Get('users/:id')
  user(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('error')
  error(): never {
    throw new Error('boom');
  }
}

@Module({ controllers: [AppController] })
class AppModule {}

const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] });
// On the Express instance under Nest, before Nest adds its routes (at listen): the route label is
// the controller's template, /users/:id.
app.use(expressMetrics());
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
