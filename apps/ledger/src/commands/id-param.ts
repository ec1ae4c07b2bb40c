import { Param, type PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../http/request-errors';
import { Code } from './schemas';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID path parameter, lower-cased (ids are stored lower-case); anything else is a 400 with its pointer. */
const uuidPipe = (name: string): PipeTransform<string, string> => ({
  transform(value: string) {
    if (!UUID.test(value)) throw new RequestValidationError([{ pointer: `/path/${name}`, detail: 'must be a UUID' }]);
    return value.toLowerCase();
  },
});

export const IdParam = (name = 'id') => Param(name, uuidPipe(name));

/** A PO number in a path: the same shape the body of PlacePurchaseOrder accepts, else a 400 with its pointer. */
const codePipe = (name: string): PipeTransform<string, string> => ({
  transform(value: string) {
    const parsed = Code.safeParse(value);
    if (!parsed.success) throw new RequestValidationError([{ pointer: `/path/${name}`, detail: parsed.error.issues[0]?.message ?? 'malformed' }]);
    return parsed.data;
  },
});

export const CodeParam = (name: string) => Param(name, codePipe(name));
