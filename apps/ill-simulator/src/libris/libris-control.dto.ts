import { IsDefined, IsISO8601, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { LibrisIllRequest } from '@illbridge/connectors/libris/libris-wire';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MESSAGE = { message: '$property must be a date YYYY-MM-DD' };

export class ApiKeyDto {
  @IsString() @IsNotEmpty() sigel: string;
  @IsString() @IsNotEmpty() apiKey: string;
}

export class GenerateDto {
  @IsString() @IsNotEmpty() sigel: string;
  @IsInt() @Min(1) @Max(100_000) count: number;
  @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) from: string;
  @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) to: string;
  @IsOptional() @IsInt() seed?: number;
  /** Defaults to `sigel`; another value gives requests whose library nobody mapped. */
  @IsOptional() @IsString() @IsNotEmpty() requestingLibrary?: string;
  @IsOptional() @IsNumber() @Min(0) @Max(1) unknownSigelShare?: number;
}

export class AddRequestDto {
  @IsString() @IsNotEmpty() sigel: string;
  @IsOptional() @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) created?: string;
  /** Any fields of §4; the others get defaults. */
  @IsOptional() @IsObject() record?: Partial<LibrisIllRequest>;
}

export class AddRawRequestDto {
  @IsString() @IsNotEmpty() sigel: string;
  @Matches(DAY, DAY_MESSAGE) @IsISO8601({ strict: true }, DAY_MESSAGE) created: string;
  /** Kept and served exactly as given. */
  @IsDefined() record: unknown;
}
