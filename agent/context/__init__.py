"""The room context: a room's conditions read from its sensors (``conditions``), what each device does to them
(``effects``), complaints and goals planned as the smallest change that moves a condition the right way
(``complaints``, ``goals``), and situations ("I'm leaving") as data (``situations``, ``situations.yaml``)."""
