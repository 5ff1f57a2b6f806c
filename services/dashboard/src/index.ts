// The dashboard service; see the open issues for what it will do.
export {};
