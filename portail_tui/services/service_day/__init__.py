"""The lists of the service day (P4–P6), read from bookings and attendance marks:

- `meals`: meal counts per school and meal type for the kitchen, and the nightly
  e-mail of each school's list (`queue_kitchen_mails`);
- `sheets`: attendance sheets (feuilles d'émargement) per activity, day and school;
- `caf`: hours attended and billed per month for the CAF;
- `figures`: the day's expected and marked counts shown on Accueil.

The marks themselves are written by the Pointage services; everything here only reads.
"""
