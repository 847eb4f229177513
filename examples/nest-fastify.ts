import 'reflect-metadata';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { fastifyMetrics } from 'promhttp/fastify';

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

const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
// On the Fastify instance under Nest, before Nest adds its routes (at listen): the route label is
// the controller's template, /users/:id.
await app.register(fastifyMetrics);
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
