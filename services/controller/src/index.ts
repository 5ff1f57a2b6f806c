// The controller service; see the open issues for what it will do.
export {};
