import type { Emitted } from '../../decision';
import type { ModelTerms } from '../../events';
import { deriveId } from '../../ids';
import { given } from '../../testing';
import {
  deploymentCreated, licenseBoundToDevice, licenseDeployed, licenseHandedOn, licenseIssued, licenseRevoked, licenseSuperseded, licenseUninstalled, terms, twoPartners,
} from '../../test-builders';
import { type CreateDeployment, createDeployment } from './create-deployment.decider';

const NOW = '2025-06-01T12:00:00.000Z';
const MAINTENANCE = '2026-06-01T00:00:00.000Z';
const id = () => crypto.randomUUID();

const SRV = terms({ code: 'SRV-PERP', category: 'capacity', bindsTo: 'deployment', termDays: null, seats: 50 });
const AP = terms({ code: 'AP-1YR-LIC', category: 'pro', bindsTo: 'device', termDays: 365 });

function world() {
  return { ...twoPartners(id, [SRV, AP]), seed: id(), deploymentId: id() };
}
type World = ReturnType<typeof world>;

function owned(ownerId: string, model: ModelTerms = SRV, issuedAt?: string): [string, Emitted[]] {
  const licenseId = id();
  return [licenseId, licenseIssued({ licenseId, ownerId, model, ...(issuedAt ? { issuedAt } : {}) })];
}

const create = (w: World, lines: CreateDeployment['lines'], o: Partial<CreateDeployment> = {}): CreateDeployment => ({
  now: NOW, deploymentId: w.deploymentId, creatorId: w.partnerId, ownerId: w.partnerId, serverId: 'HW-FP-0001', lines, maintenanceUntil: MAINTENANCE, successorSeed: w.seed, ...o,
});

describe('CreateDeployment', () => {
  it("groups the creator's own licenses for one server: deployed", () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId, SRV, '2025-01-01T00:00:00.000Z');
    const [b, bIssued] = owned(w.partnerId, SRV, '2025-01-02T00:00:00.000Z');
    given([...w.events, ...bIssued, ...aIssued])
      .when(createDeployment, create(w, [{ modelCode: SRV.code, quantity: 2 }]))
      .then([
        [
          `deployment-${w.deploymentId}`,
          {
            type: 'DeploymentCreated',
            data: { deploymentId: w.deploymentId, creatorId: w.partnerId, ownerId: w.partnerId, serverId: 'HW-FP-0001', licenseIds: [a, b], maintenanceUntil: MAINTENANCE, createdAt: NOW },
          },
        ],
        ...licenseDeployed(a, w.deploymentId, NOW),
        ...licenseDeployed(b, w.deploymentId, NOW),
      ]);
    expect(given([...w.events, ...aIssued, ...bIssued]).when(createDeployment, create(w, [{ modelCode: SRV.code, quantity: 2 }])).decision().result).toEqual({
      deploymentId: w.deploymentId, ownerId: w.partnerId, serverId: 'HW-FP-0001', licenseIds: [a, b], soldIds: [],
    });
  });

  it('owned by an end user: sells the licenses to it (superseded), and deploys the successors it owns', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId);
    const s0 = deriveId(w.seed, 0);
    given([...w.events, ...aIssued])
      .when(createDeployment, create(w, [{ licenseId: a }], { ownerId: w.customerId }))
      .then([
        ...licenseHandedOn({ licenseId: a, successorId: s0, toAccountId: w.customerId, model: SRV, reason: 'deployment-sale', at: NOW }),
        [
          `deployment-${w.deploymentId}`,
          {
            type: 'DeploymentCreated',
            data: { deploymentId: w.deploymentId, creatorId: w.partnerId, ownerId: w.customerId, serverId: 'HW-FP-0001', licenseIds: [s0], maintenanceUntil: MAINTENANCE, createdAt: NOW },
          },
        ],
        ...licenseDeployed(s0, w.deploymentId, NOW),
      ]);
    expect(given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ licenseId: a }], { ownerId: w.customerId })).decision().result).toEqual({
      deploymentId: w.deploymentId, ownerId: w.customerId, serverId: 'HW-FP-0001', licenseIds: [s0], soldIds: [a],
    });
  });

  it('refuses an owner that is neither the creator nor one of its end users (NOT_AN_END_USER)', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId);
    for (const ownerId of [w.othersCustomerId, w.otherPartnerId]) {
      const refusal = given([...w.events, ...aIssued])
        .when(createDeployment, create(w, [{ licenseId: a }], { ownerId }))
        .thenRefused('NOT_AN_END_USER', { ownerId, creatorId: w.partnerId });
      expect(refusal.kind).toBe('rule');
      expect(refusal.pointer).toBe('/ownerId');
    }
  });

  it('refuses a license that does not bind to a deployment (LICENSE_NOT_DEPLOYABLE)', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId, AP);
    const refusal = given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ licenseId: a }])).thenRefused('LICENSE_NOT_DEPLOYABLE', { licenseId: a, modelCode: AP.code });
    expect(refusal.kind).toBe('rule');
    given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ modelCode: AP.code, quantity: 1 }])).thenRefused('LICENSE_NOT_DEPLOYABLE');
  });

  it('refuses a license that is deployed elsewhere, bound, superseded, revoked or uninstalled', () => {
    const w = world();
    const cases: [string, Emitted[], 'LICENSE_BOUND' | 'LICENSE_DEPLOYED' | 'LICENSE_SUPERSEDED' | 'LICENSE_REVOKED' | 'LICENSE_UNINSTALLED'][] = [];
    {
      const [licenseId, issued] = owned(w.partnerId);
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, id())], 'LICENSE_DEPLOYED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId, AP);
      cases.push([licenseId, [...issued, ...licenseBoundToDevice({ licenseId, deviceId: id(), category: 'pro', validUntil: '2026-01-01T00:00:00.000Z' })], 'LICENSE_BOUND']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId);
      cases.push([licenseId, [...issued, ...licenseSuperseded({ licenseId, successorId: id(), toAccountId: w.customerId })], 'LICENSE_SUPERSEDED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId);
      cases.push([licenseId, [...issued, ...licenseRevoked(licenseId)], 'LICENSE_REVOKED']);
    }
    {
      const [licenseId, issued] = owned(w.partnerId);
      const deploymentId = id();
      cases.push([licenseId, [...issued, ...licenseDeployed(licenseId, deploymentId), ...licenseUninstalled(licenseId, deploymentId)], 'LICENSE_UNINSTALLED']);
    }
    for (const [licenseId, history, code] of cases) {
      for (const ownerId of [w.partnerId, w.customerId]) {
        const refusal = given([...w.events, ...history]).when(createDeployment, create(w, [{ licenseId }], { ownerId })).thenRefused(code, { licenseId });
        expect(refusal.kind).toBe('rule');
      }
    }
  });

  it('refuses more licenses than available (INSUFFICIENT_LICENSES)', () => {
    const w = world();
    const [, aIssued] = owned(w.partnerId);
    const refusal = given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ modelCode: SRV.code, quantity: 2 }])).thenRefused('INSUFFICIENT_LICENSES', { requested: 2, available: 1 });
    expect(refusal.kind).toBe('rule');
  });

  it('records nothing when the same deployment is created again', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId);
    const first = given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ licenseId: a }], { ownerId: w.customerId })).decision();
    const again = given([...w.events, ...aIssued, ...first.events]).when(createDeployment, create(w, [{ licenseId: a }], { ownerId: w.customerId }));
    again.thenNothing();
    expect(again.decision().result).toMatchObject({ deploymentId: w.deploymentId, ownerId: w.customerId, licenseIds: first.result.licenseIds });
  });

  it('refuses a blank server id (INVALID_COMMAND) and an unknown owner (ACCOUNT_NOT_FOUND)', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId);
    expect(given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ licenseId: a }], { serverId: ' ' })).thenRefused('INVALID_COMMAND').pointer).toBe('/serverId');
    expect(given([...w.events, ...aIssued]).when(createDeployment, create(w, [{ licenseId: a }], { ownerId: id() })).thenRefused('ACCOUNT_NOT_FOUND').kind).toBe('not_found');
  });

  it('records nothing for a deployment id that already exists, whatever the lines', () => {
    const w = world();
    const [a, aIssued] = owned(w.partnerId);
    const existing = deploymentCreated({ deploymentId: w.deploymentId, creatorId: w.partnerId, licenseIds: [a] });
    expect(given([...w.events, ...aIssued, ...existing]).when(createDeployment, create(w, [{ licenseId: a }])).decision().events).toEqual([]);
  });
});
