// The framework's own floor for a cheap route. This NestJS app has one
// controller that returns a constant object at BENCH_STATIC_PATH, and no
// guard, middleware, interceptor, pipe or request logging. Nest's built-in
// body parsers are off, as in the service. BENCH_NEST_ADAPTER selects the HTTP
// platform: "express" (the service's) or "fastify". The file is plain
// JavaScript, so Nest's decorators are applied by calling them, as the
// TypeScript compiler would emit them.
import 'reflect-metadata';

import { readFileSync } from 'node:fs';

import { Controller, Get, Header, HttpCode, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const ADAPTERS = ['express', 'fastify'];

const adapterName = process.env.BENCH_NEST_ADAPTER ?? 'express';
if (!ADAPTERS.includes(adapterName)) {
  throw new Error(`Invalid BENCH_NEST_ADAPTER "${adapterName}": set it to ${ADAPTERS.join(' or ')}`);
}
const path = process.env.BENCH_STATIC_PATH;
const bodyText = readFileSync(process.env.BENCH_STATIC_BODY_FILE, 'utf8');
const contentType = process.env.BENCH_STATIC_CONTENT_TYPE ?? 'application/json; charset=utf-8';

// Both platforms serialize a returned object with JSON.stringify (Express 5
// res.json, Fastify 5 without a response schema). The parsed body therefore
// goes out as the captured bytes only if JSON.stringify reproduces them.
const body = JSON.parse(bodyText);
if (JSON.stringify(body) !== bodyText) {
  throw new Error(
    `The body in ${process.env.BENCH_STATIC_BODY_FILE} is not the JSON.stringify output of its own value, so this server would send other bytes`,
  );
}

function decorateMethod(target, name, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  for (const decorator of decorators) {
    decorator(target.prototype, name, descriptor);
  }
}

class ConstantController {
  get() {
    return body;
  }
}
Controller()(ConstantController);
// The header sends the service's content type whatever each platform's default is.
decorateMethod(ConstantController, 'get', Get(path), Header('Content-Type', contentType));

class ReadyController {
  ready() {}
}
Controller()(ReadyController);
decorateMethod(ReadyController, 'ready', Get('ready'), HttpCode(204));

class FloorModule {}
Module({ controllers: [ConstantController, ReadyController] })(FloorModule);

// Only errors and warnings are logged, so start-up messages stay out and a
// failure still reaches the log.
const APP_OPTIONS = { logger: ['error', 'warn'], bodyParser: false };

async function createApp() {
  if (adapterName === 'express') {
    return NestFactory.create(FloorModule, APP_OPTIONS);
  }
  // Loaded only here, so the Express floor does not load Fastify.
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return NestFactory.create(FloorModule, new FastifyAdapter(), APP_OPTIONS);
}

const app = await createApp();
app.enableShutdownHooks();
await app.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.stdout.write(`NestJS floor on ${adapterName} listening on port ${process.env.BENCH_PORT}\n`);
