import { Param, type PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../http/request-errors';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID path parameter, lower-cased (ids are stored lower-case); anything else is a 400 with its pointer. */
const uuidPipe = (name: string): PipeTransform<string, string> => ({
  transform(value: string) {
    if (!UUID.test(value)) throw new RequestValidationError([{ pointer: `/path/${name}`, detail: 'must be a UUID' }]);
    return value.toLowerCase();
  },
});

export const IdParam = (name = 'id') => Param(name, uuidPipe(name));
