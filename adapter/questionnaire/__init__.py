"""Recording what the EHR does not hold (contract §7): the SDC Questionnaires, ``$populate``
(a response prefilled from the record) and ``$extract`` (finding Observations from a response)."""
