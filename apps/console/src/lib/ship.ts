/** SHIP's charges as the form holds them, and the total the lender will send (NACSIS SUM = charges + fee + postage). */
export interface ChargeLine {
  item: string;
  quantity: number | string;
  unitPrice: number | string;
}

const amount = (value: unknown): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
};

export function chargeSubtotal(line: ChargeLine): number {
  return amount(line.quantity) * amount(line.unitPrice);
}

export function shipTotal(charges: ChargeLine[], fee: unknown, postage: unknown): number {
  return charges.reduce((sum, line) => sum + chargeSubtotal(line), 0) + amount(fee) + amount(postage);
}

/** The `fields` of POST /api/requests/:id/actions for SHIP: empty inputs are left out, numbers sent as numbers. */
export function shipFields(form: { dueDate?: string; shipDate?: string; charges: ChargeLine[]; fee?: string | number; postage?: string | number }) {
  const fields: Record<string, unknown> = {};
  if (form.dueDate) fields.dueDate = form.dueDate;
  if (form.shipDate) fields.shipDate = form.shipDate;
  const charges = form.charges.filter((c) => String(c.item).trim() !== '' || String(c.quantity) !== '' || String(c.unitPrice) !== '');
  if (charges.length) fields.charges = charges.map((c) => ({ item: String(c.item).trim(), quantity: amount(c.quantity), unitPrice: amount(c.unitPrice) }));
  if (form.fee !== undefined && form.fee !== '') fields.fee = amount(form.fee);
  if (form.postage !== undefined && form.postage !== '') fields.postage = amount(form.postage);
  return fields;
}
