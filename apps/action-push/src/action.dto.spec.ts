import { createValidationPipe } from '@illbridge/common';
import { TakeActionDto } from './action.dto';

/** The request body of POST /api/requests/:id/actions through the ValidationPipe every app uses. */
describe('TakeActionDto', () => {
  const pipe = createValidationPipe();
  const validate = (body: unknown) => pipe.transform(body, { type: 'body', metatype: TakeActionDto });
  const problems = async (body: unknown): Promise<string[]> => {
    try {
      await validate(body);
    } catch (error: any) {
      expect(error.getStatus()).toBe(400);
      expect(error.code).toBe('VALIDATION_FAILED');
      return error.getResponse().message;
    }
    throw new Error('expected a validation error');
  };

  it('takes an action with a note and fields', async () => {
    const body = { action: 'SHIP', note: '本日発送しました', fields: { charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], postage: 84 } };
    const dto = await validate(body);
    expect(dto).toBeInstanceOf(TakeActionDto);
    expect(dto).toEqual(body);
  });

  it('takes the local workflow actions too', async () => {
    await expect(validate({ action: 'COMPLETE' })).resolves.toEqual({ action: 'COMPLETE' });
  });

  it('refuses unknown properties, naming them', async () => {
    expect(await problems({ action: 'ACCEPT', comment: 'x' })).toEqual(['property comment should not exist']);
  });

  it('lists every problem: missing or unknown action, note not text, fields not an object', async () => {
    const listed = await problems({ note: 42, fields: ['A4'] });
    expect(listed).toEqual(expect.arrayContaining([expect.stringMatching(/^action must be one of: ACCEPT, RECEIVE, .*SHIP.*COMPLETE/), 'note must be a string', 'fields must be an object']));
    expect(await problems({ action: 'ship' })).toEqual([expect.stringMatching(/^action must be one of: /)]);
  });

  it('refuses a note longer than 1000 characters', async () => {
    expect(await problems({ action: 'REJECT', note: 'x'.repeat(1001) })).toEqual(['note must be shorter than or equal to 1000 characters']);
  });
});
