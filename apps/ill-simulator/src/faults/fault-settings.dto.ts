import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import type { FaultSettings } from './fault-plan';

/** `POST /_sim/faults/:system`: the settings to change; the others stay as they are. */
export class FaultSettingsDto implements Partial<FaultSettings> {
  @IsOptional() @IsInt() @Min(0) @Max(120_000) latencyMs?: number;
  @IsOptional() @IsInt() @Min(0) failNext?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) failShare?: number;
  @IsOptional() @IsInt() @Min(400) @Max(599) failStatus?: number;
  @IsOptional() @IsInt() @Min(0) retryAfterSeconds?: number;
  @IsOptional() @IsInt() @Min(0) hangNext?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) hangShare?: number;
  @IsOptional() @IsInt() @Min(0) malformedNext?: number;
  @IsOptional() @IsInt() @Min(0) htmlNext?: number;
  @IsOptional() @IsInt() seed?: number;
}
