import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import type { ProblemException } from './problem-details.js';
import { contextOfRequest } from './request-context.js';
import { routePatternOf } from './route-tag.interceptor.js';

/** One finished response, as observers see it. */
export interface FinishedResponse {
  method: string;
  /** The matched route pattern such as `/v1/tasks/:id`, or null when no route matched. */
  route: string | null;
  status: number;
  durationSeconds: number;
  ipAddress: string | null;
  /** Name of the limit that rejected the request with 429, or null. */
  rateLimitedBy: string | null;
}

/** Decides before routing whether a request may go on; returns the problem that stops it. */
export type RequestGate = (request: Request) => ProblemException | undefined;
export type ResponseObserver = (response: FinishedResponse) => void;

/**
 * The hooks other modules place around every HTTP request: gates that may
 * stop a request before any route runs (the IP block list), and observers of
 * every finished response (metrics, detectors). The middleware is installed
 * first in the pipeline, so rejected and unrouted requests are seen too.
 */
@Injectable()
export class HttpTraffic {
  private readonly gates: RequestGate[] = [];
  private readonly observers: ResponseObserver[] = [];

  addGate(gate: RequestGate): void {
    this.gates.push(gate);
  }

  addObserver(observer: ResponseObserver): void {
    this.observers.push(observer);
  }

  middleware() {
    return (request: Request, response: Response, next: NextFunction): void => {
      const started = process.hrtime.bigint();
      response.once('finish', () => {
        const finished: FinishedResponse = {
          method: request.method,
          route: routePatternOf(request),
          status: response.statusCode,
          durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
          ipAddress: request.ip ?? null,
          rateLimitedBy: contextOfRequest(request)?.rateLimitedBy ?? null,
        };
        for (const observer of this.observers) {
          observer(finished);
        }
      });
      for (const gate of this.gates) {
        const problem = gate(request);
        if (problem !== undefined) {
          next(problem);
          return;
        }
      }
      next();
    };
  }
}
