export * from './constants';
export * from './failure-types';
export * from './job';
export * from './messages';
export * from './agent';
export * from './agent-messages';
export * from './batch';
