import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { LOCAL_ACTIONS, NACSIS_ACTIONS } from '@illbridge/workflow';

/** Every staff action name: NACSIS (either side) and the local workflow of Libris / Netpunkt requests. */
export const ALL_ACTIONS: readonly string[] = [...new Set<string>([...NACSIS_ACTIONS, ...LOCAL_ACTIONS])];
export const MAX_NOTE_LENGTH = 1000;

/** `POST /api/requests/:id/actions`. Only the shape is checked here (unknown properties are refused
 *  by the global ValidationPipe); what the action needs (a note for REJECT and CLAIM, SHIP's fields)
 *  and whether it is allowed now depend on the request. */
export class TakeActionDto {
  @ApiProperty({ enum: ALL_ACTIONS, example: 'SHIP' })
  @IsString()
  @IsIn(ALL_ACTIONS as string[], { message: `action must be one of: ${ALL_ACTIONS.join(', ')}` })
  action: string;

  @ApiPropertyOptional({ description: 'The comment sent with the command (NACSIS CMMNT); required for REJECT and CLAIM' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NOTE_LENGTH)
  note?: string;

  @ApiPropertyOptional({
    description: 'What the command needs. SHIP: dueDate (YYYY-MM-DD, required for loans), shipDate (default today), charges [{ item, quantity, unitPrice }], fee, postage',
    example: { dueDate: '2026-12-20', charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], fee: 0, postage: 84 },
  })
  @IsOptional()
  @IsObject()
  fields?: Record<string, unknown>;
}

export const MAX_BULK_REQUESTS = 200;

/** `POST /api/actions/bulk`: one action (with its note and fields) for many requests, taken one by one in
 *  the order given, each judged on its own exactly as `POST /api/requests/:id/actions` judges it. */
export class BulkActionDto extends TakeActionDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_BULK_REQUESTS, description: 'The requests, each once; taken in this order' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_REQUESTS)
  @ArrayUnique({ message: 'requestIds must not name a request twice' })
  @IsUUID('all', { each: true, message: 'each value in requestIds must be a request id (UUID)' })
  requestIds: string[];
}
