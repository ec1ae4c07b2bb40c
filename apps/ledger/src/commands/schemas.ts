import { z } from 'zod';
import { MAX_TERM_DAYS } from '@ledger/licensing';

/** Request bodies of the command routes: strict (unknown fields refused), shapes and bounds only; the domain judges the rest. */

// Ids are stored lower-case: an upper-case UUID names the same thing.
export const Id = z.uuid({ message: 'must be a UUID' }).overwrite((id) => id.toLowerCase());
/** Free text people type: trimmed, never empty, no control characters (they end up in events, logs and files). */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .refine((text) => text.isWellFormed(), 'must be valid Unicode (no lone surrogates)');
/** Serials label devices and name a stream of their own: printable ASCII. */
const Serial = z.string().trim().min(1).max(100).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');
const Name = Text(200);
export const Code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, 'must be 1 to 100 characters of A-Z a-z 0-9 . _ / - (starting with a letter or digit)');
// Bounded so that a date plus the longest term stays a date PostgreSQL and ISO-8601 can hold.
export const Instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2027-01-31T00:00:00Z' })
  .refine((v) => Date.parse(v) >= Date.UTC(2000, 0, 1) && Date.parse(v) < Date.UTC(3000, 0, 1), 'must be in the years 2000 to 2999');
const Email = z.email({ message: 'must be an e-mail address' }).max(320);
const Quantity = z.number().int();
const MAX_LINES = 100;

const Line = z.union([
  z.strictObject({ modelCode: Code, quantity: Quantity }),
  z.strictObject({ licenseId: Id }),
]);
const Lines = z.array(Line).max(MAX_LINES);

export const OpenAccountBody = z.strictObject({
  kind: z.enum(['partner', 'customer']),
  name: Name,
  parentId: Id,
  emails: z.array(Email).max(50).default([]),
});

export const LinkAccountsBody = z.strictObject({ accountId: Id });

export const DefineLicenseModelBody = z.strictObject({
  code: Code,
  name: Name,
  category: z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'must be a lower-case tab name such as pro, cloud-ai, msp, channel'),
  bindsTo: z.enum(['device', 'channel', 'account', 'deployment', 'msp-portal']),
  termDays: z.number().int().min(1).max(MAX_TERM_DAYS).nullable(),
  seats: z.number().int().default(1),
  deviceModels: z.array(Text(100)).max(500).default([]),
});

export const PlacePurchaseOrderBody = z.strictObject({
  poNumber: Code,
  buyerId: Id,
  deliveryEmails: z.array(Email).max(50),
  lines: z
    .array(z.strictObject({ modelCode: Code, quantity: Quantity, forcedActivationDate: Instant.nullable().optional() }))
    .max(MAX_LINES),
});
export const MAX_ORDER_LINES = MAX_LINES;

export const FulfilPurchaseOrderBody = z.strictObject({ validUntil: Instant.nullable().default(null) }).default({ validUntil: null });

export const ClaimKeyBody = z.strictObject({ accountId: Id, autoAssociate: z.boolean().default(false) });

export const RegisterDeviceBody = z.strictObject({
  ownerId: Id,
  serial: Serial,
  model: Text(100),
  channels: z.number().int().min(0).max(10_000).default(0),
});

export const AllocateSeatBody = z.strictObject({ toAccountId: Id, modelCode: Code, quantity: Quantity });

export const BindDeviceBody = z.union([
  z.strictObject({ licenseId: Id, channels: z.array(z.number().int()).max(1).optional() }),
  z.strictObject({ fromAccountId: Id, modelCode: Code, quantity: Quantity.max(10_000), channels: z.array(z.number().int()).max(10_000).optional() }),
]);

export const SellToEnduserBody = z.strictObject({ buyerId: Id, lines: Lines });
export const TransferBody = z.strictObject({ fromAccountId: Id, lines: Lines });
export const MoveLicenseBody = z.strictObject({ toAccountId: Id });
export const RevokeLicenseBody = z.strictObject({ reason: Text(1_000) });

export const CreateDeploymentBody = z.strictObject({
  creatorId: Id,
  ownerId: Id,
  serverId: Text(200),
  lines: Lines,
  maintenanceUntil: Instant.nullable().default(null),
});
export const RenewMaintenanceBody = z.strictObject({ until: Instant });
/** Routes that take no body still refuse one with fields: a client sending some expects them to matter. */
export const NoBody = z.strictObject({});
