export * from './types';
export * from './annotations';
export * from './permissions';
export * from './client';
export * from './entity';
