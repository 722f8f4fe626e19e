import { describe, expect, it } from '@jest/globals';

import { routeAction } from './route-action.js';

describe('routeAction', () => {
  it.each([
    ['PATCH', '/v1/tasks/:id', 'tasks.update', 'tasks', 'id'],
    ['POST', '/v1/projects', 'projects.create', 'projects', null],
    ['POST', '/v1/projects/:id/members', 'projects.members.create', 'members', null],
    ['DELETE', '/v1/projects/:id/members/:userId', 'projects.members.delete', 'members', 'userId'],
    ['PUT', '/v1/users/me/consent', 'users.me.consent.update', 'consent', null],
  ])('names %s %s as %s', (method, route, action, resource, idParameter) => {
    expect(routeAction(method, route)).toEqual({ action, resource, idParameter });
  });

  it.each([
    ['GET', '/v1/tasks/:id'],
    ['POST', null],
    ['DELETE', '/v1/:id'],
  ])('names nothing for %s %s', (method, route) => {
    expect(routeAction(method, route)).toBeUndefined();
  });
});
